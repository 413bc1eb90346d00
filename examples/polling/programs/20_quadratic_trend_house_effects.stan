// Popularity follows a quadratic curve over the campaign (it can rise and then fall); polls have house
// effects and pollster-specific noise.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
transformed data {
  vector[num_days] time; // -1 at the start, +1 at the end
  for (d in 1:num_days) {
    time[d] = 2.0 * (d - 1) / (num_days - 1) - 1;
  }
}
parameters {
  real level;
  real linear;
  real quadratic;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] popularity = level + linear * time + quadratic * square(time);
}
model {
  level ~ normal(50, 10);
  linear ~ normal(0, 5);
  quadratic ~ normal(0, 5);
  house ~ normal(0, 3);
  poll_sd ~ exponential(0.3);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
