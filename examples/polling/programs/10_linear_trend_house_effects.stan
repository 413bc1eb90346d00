// Popularity moves along a straight line over the campaign; polls have house effects and
// pollster-specific noise.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
transformed data {
  real mid_day = (num_days + 1) / 2.0;
}
parameters {
  real mid_level; // support in the middle of the campaign
  real slope; // points per day
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  array[num_days] real popularity;
  for (d in 1:num_days) {
    popularity[d] = mid_level + slope * (d - mid_day);
  }
}
model {
  mid_level ~ normal(50, 10);
  slope ~ normal(0, 0.25);
  house ~ normal(0, 3);
  poll_sd ~ normal(0, 5) T[0, ];
  for (n in 1:num_polls) {
    result[n] ~ normal(popularity[day[n]] + house[pollster[n]], poll_sd[pollster[n]]);
  }
}
