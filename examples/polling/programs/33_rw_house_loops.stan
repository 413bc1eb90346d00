// Random walk for popularity with house effects and pollster-specific noise, written with an explicit
// loop over days and over polls.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  array[num_days] real popularity;
  real<lower=0> step_sd;
  array[num_pollsters] real house;
  array[num_pollsters] real<lower=0> poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  for (d in 2:num_days) {
    popularity[d] ~ normal(popularity[d - 1], step_sd);
  }
  step_sd ~ normal(0, 1) T[0, ];
  house ~ normal(0, 3);
  poll_sd ~ normal(0, 5) T[0, ];
  for (n in 1:num_polls) {
    result[n] ~ normal(popularity[day[n]] + house[pollster[n]], poll_sd[pollster[n]]);
  }
}
